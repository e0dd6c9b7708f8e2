# n ECR repositories named <prefix>-<i>; force_delete so that a destroy succeeds even when one
# holds an image. `tags` and `keep_images` are what the bench's in-place update changes.
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

variable "tags" {
  type    = map(string)
  default = null
}

variable "keep_images" {
  type    = number
  default = null
}

resource "todo_ecr_repository" "bench" {
  count        = var.n
  name         = "${var.prefix}-${count.index}"
  force_delete = true
  tags         = var.tags
  keep_images  = var.keep_images
}

output "repository_urls" {
  value = todo_ecr_repository.bench[*].repository_url
}
