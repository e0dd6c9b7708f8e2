# Test fixture: the cluster the module's service runs in.
terraform {
  required_providers {
    todo = { source = "todo/todo" }
  }
}

variable "cluster" {
  type = string
}

resource "todo_ecs_cluster" "test" {
  name               = var.cluster
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
}
