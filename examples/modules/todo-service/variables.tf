variable "environment" {
  type        = string
  description = "Environment name, such as staging or prod; part of the service name."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "image_tag" {
  type        = string
  description = "The image tag to run: the short git SHA of the build."
}

variable "repository_url" {
  type        = string
  description = "The image repository (todo_ecr_repository.repository_url)."
}

variable "cluster" {
  type        = string
  description = "ECS cluster name or ARN."
}

variable "subnets" {
  type        = list(string)
  description = "Subnets for the tasks."
}

variable "security_groups" {
  type    = list(string)
  default = []
}

variable "cpu" {
  type    = number
  default = 256
}

variable "memory" {
  type    = number
  default = 512
}

variable "desired_count" {
  type    = number
  default = 1
}

variable "container_environment" {
  type        = map(string)
  default     = {}
  description = "Extra environment variables for the container."
}

variable "health_check" {
  type = object({
    command      = list(string)
    interval     = optional(number)
    timeout      = optional(number)
    retries      = optional(number)
    start_period = optional(number)
  })
  default     = null
  description = "The application container's health check (ECS's defaults for what is unset)."
}

variable "stop_timeout" {
  type        = number
  default     = null
  description = "Seconds the application has after SIGTERM (2-120; ECS waits 30 when unset)."
}

variable "working_directory" {
  type        = string
  default     = null
  description = "The directory the application's command runs in (the image's when unset)."
}

variable "ulimits" {
  type = list(object({
    name       = string
    soft_limit = number
    hard_limit = number
  }))
  default     = []
  description = "Resource limits of the application container, such as nofile (Fargate changes only nofile)."
}

variable "linux_parameters" {
  type = object({
    init_process_enabled = optional(bool)
  })
  default     = null
  description = "Linux settings of the application container: init_process_enabled runs an init process as PID 1."
}

variable "log_configuration" {
  type = object({
    log_driver = string
    options    = optional(map(string))
  })
  default     = null
  description = "The application's log driver, such as awsfirelens through a log router sidecar."
}

variable "container_depends_on" {
  type = list(object({
    container_name = string
    condition      = string
  }))
  default     = []
  description = "Sidecars the application waits for: START, COMPLETE, SUCCESS or HEALTHY."
}

variable "ephemeral_storage_gib" {
  type        = number
  default     = null
  description = "The task's ephemeral storage in GiB (21-200; 20 when unset)."
}

variable "sidecars" {
  type = list(object({
    name                     = string
    image                    = string
    essential                = optional(bool)
    cpu                      = optional(number)
    memory                   = optional(number)
    environment              = optional(map(string))
    secrets                  = optional(map(string))
    command                  = optional(list(string))
    log_group                = optional(string)
    log_stream_prefix        = optional(string)
    user                     = optional(string)
    stop_timeout             = optional(number)
    readonly_root_filesystem = optional(bool)
    working_directory        = optional(string)
    ulimits = optional(list(object({
      name       = string
      soft_limit = number
      hard_limit = number
    })), [])
    linux_parameters = optional(object({
      init_process_enabled = optional(bool)
    }))
    port_mappings = optional(list(object({
      container_port = number
      protocol       = optional(string)
    })), [])
    health_check = optional(object({
      command      = list(string)
      interval     = optional(number)
      timeout      = optional(number)
      retries      = optional(number)
      start_period = optional(number)
    }))
    firelens_configuration = optional(object({
      type    = string
      options = optional(map(string))
    }))
    log_configuration = optional(object({
      log_driver = string
      options    = optional(map(string))
    }))
    container_depends_on = optional(list(object({
      container_name = string
      condition      = string
    })), [])
  }))
  default     = []
  description = "Containers beside the application (log router, agents, proxies); images from any registry."
}

variable "capacity_provider_strategy" {
  type = list(object({
    capacity_provider = string
    weight            = optional(number)
    base              = optional(number)
  }))
  default     = []
  description = "FARGATE / FARGATE_SPOT placement, such as Spot for staging; empty runs on the FARGATE launch type."
}
