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

  tags = {
    environment = var.environment
  }
}
