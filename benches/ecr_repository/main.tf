# n ECR repositories named <prefix>-<i>; force_delete so that a destroy succeeds even when one
# holds an image.
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
  default = "bench"
}

resource "todo_ecr_repository" "bench" {
  count        = var.n
  name         = "${var.prefix}-${count.index}"
  force_delete = true
}

output "repository_urls" {
  value = todo_ecr_repository.bench[*].repository_url
}
