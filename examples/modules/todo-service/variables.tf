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
