# What `terraform query` looks for: the services of the demo's cluster, the cluster itself and
# the registry (scripts/demo.sh and examples/app create them as "todo", "todo-service-demo" and
# "todo-service").
#
# `name_prefix` matches prefixes: "todo" also finds "todo-prod". Read what
# `terraform query -generate-config-out=generated.tf` wrote and delete the blocks of anything
# that is not yours before `terraform apply`: an adopted object is destroyed with this
# configuration.

variable "cluster" {
  type        = string
  default     = "todo"
  description = "The cluster whose services to adopt."
}

variable "name_prefix" {
  type        = string
  default     = "todo-service"
  description = "The services and repositories to adopt: those whose name starts with this."
}

list "todo_fargate_service" "services" {
  provider = todo

  config {
    cluster     = var.cluster
    name_prefix = var.name_prefix
  }
}

list "todo_ecs_cluster" "cluster" {
  provider = todo

  config {
    name_prefix = var.cluster
  }
}

list "todo_ecr_repository" "registry" {
  provider = todo

  config {
    name_prefix = var.name_prefix
  }
}
