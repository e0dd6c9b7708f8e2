# One ECS cluster.
terraform {
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

variable "name" {
  type = string
}

resource "todo_ecs_cluster" "bench" {
  name = var.name
}
