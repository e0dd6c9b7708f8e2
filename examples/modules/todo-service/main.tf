# A reusable module: the todo service in one environment, running the image tag it is given.
terraform {
  required_version = ">= 1.5"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

resource "todo_fargate_service" "this" {
  name           = "todo-service-${var.environment}"
  cluster        = var.cluster
  repository_url = var.repository_url
  image_tag      = var.image_tag

  cpu            = var.cpu
  memory         = var.memory
  desired_count  = var.desired_count
  container_port = 3000

  environment = merge({ APP_ENV = var.environment }, var.container_environment)

  subnets          = var.subnets
  security_groups  = var.security_groups
  assign_public_ip = false

  # The deployment circuit breaker is on, with rollback, unless a deployment_circuit_breaker
  # block says otherwise: a rollout whose tasks keep failing returns to the last working revision.

  stop_timeout      = var.stop_timeout
  working_directory = var.working_directory

  dynamic "ulimits" {
    for_each = var.ulimits
    content {
      name       = ulimits.value.name
      soft_limit = ulimits.value.soft_limit
      hard_limit = ulimits.value.hard_limit
    }
  }

  dynamic "linux_parameters" {
    for_each = var.linux_parameters == null ? [] : [var.linux_parameters]
    content {
      init_process_enabled = linux_parameters.value.init_process_enabled
    }
  }

  dynamic "health_check" {
    for_each = var.health_check == null ? [] : [var.health_check]
    content {
      command      = health_check.value.command
      interval     = health_check.value.interval
      timeout      = health_check.value.timeout
      retries      = health_check.value.retries
      start_period = health_check.value.start_period
    }
  }

  dynamic "log_configuration" {
    for_each = var.log_configuration == null ? [] : [var.log_configuration]
    content {
      log_driver = log_configuration.value.log_driver
      options    = log_configuration.value.options
    }
  }

  dynamic "container_depends_on" {
    for_each = var.container_depends_on
    content {
      container_name = container_depends_on.value.container_name
      condition      = container_depends_on.value.condition
    }
  }

  dynamic "ephemeral_storage" {
    for_each = var.ephemeral_storage_gib == null ? [] : [var.ephemeral_storage_gib]
    content {
      size_in_gib = ephemeral_storage.value
    }
  }

  # Sidecars: a change to one registers a new revision in place; image_tag moves only the
  # application's image.
  dynamic "sidecar" {
    for_each = var.sidecars
    content {
      name                     = sidecar.value.name
      image                    = sidecar.value.image
      essential                = sidecar.value.essential
      cpu                      = sidecar.value.cpu
      memory                   = sidecar.value.memory
      environment              = sidecar.value.environment
      secrets                  = sidecar.value.secrets
      command                  = sidecar.value.command
      log_group                = sidecar.value.log_group
      log_stream_prefix        = sidecar.value.log_stream_prefix
      user                     = sidecar.value.user
      stop_timeout             = sidecar.value.stop_timeout
      readonly_root_filesystem = sidecar.value.readonly_root_filesystem
      working_directory        = sidecar.value.working_directory

      dynamic "ulimits" {
        for_each = sidecar.value.ulimits
        content {
          name       = ulimits.value.name
          soft_limit = ulimits.value.soft_limit
          hard_limit = ulimits.value.hard_limit
        }
      }

      dynamic "linux_parameters" {
        for_each = sidecar.value.linux_parameters == null ? [] : [sidecar.value.linux_parameters]
        content {
          init_process_enabled = linux_parameters.value.init_process_enabled
        }
      }

      dynamic "port_mappings" {
        for_each = sidecar.value.port_mappings
        content {
          container_port = port_mappings.value.container_port
          protocol       = port_mappings.value.protocol
        }
      }

      dynamic "health_check" {
        for_each = sidecar.value.health_check == null ? [] : [sidecar.value.health_check]
        content {
          command      = health_check.value.command
          interval     = health_check.value.interval
          timeout      = health_check.value.timeout
          retries      = health_check.value.retries
          start_period = health_check.value.start_period
        }
      }

      dynamic "firelens_configuration" {
        for_each = sidecar.value.firelens_configuration == null ? [] : [sidecar.value.firelens_configuration]
        content {
          type    = firelens_configuration.value.type
          options = firelens_configuration.value.options
        }
      }

      dynamic "log_configuration" {
        for_each = sidecar.value.log_configuration == null ? [] : [sidecar.value.log_configuration]
        content {
          log_driver = log_configuration.value.log_driver
          options    = log_configuration.value.options
        }
      }

      dynamic "container_depends_on" {
        for_each = sidecar.value.container_depends_on
        content {
          container_name = container_depends_on.value.container_name
          condition      = container_depends_on.value.condition
        }
      }
    }
  }

  # FARGATE / FARGATE_SPOT placement; without it the service runs on the FARGATE launch type.
  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  tags = {
    environment = var.environment
  }
}
