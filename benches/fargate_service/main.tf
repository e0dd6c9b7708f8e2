# n Fargate services <prefix>-<i> in an existing cluster, each running <repository_url>:<image_tag>
# (already pushed), with the resource's defaults: one task, wait_for_steady_state.
terraform {
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

variable "n" {
  type = number
}

variable "prefix" {
  type    = string
  default = "bench-svc"
}

variable "cluster" {
  type = string
}

variable "repository_url" {
  type = string
}

variable "image_tag" {
  type = string
}

resource "todo_fargate_service" "bench" {
  count          = var.n
  name           = "${var.prefix}-${count.index}"
  cluster        = var.cluster
  repository_url = var.repository_url
  image_tag      = var.image_tag
  subnets        = ["subnet-0123456789abcdef0"]
}
