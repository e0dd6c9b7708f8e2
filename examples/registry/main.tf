# The container registry, managed on its own and applied once (like a CI pipeline's set-up):
# every build pushes an image tagged with its short git SHA into this repository, before and
# apart from any deployment.
terraform {
  required_version = ">= 1.5"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

variable "repository_name" {
  type        = string
  default     = "todo-service"
  description = "Name of the ECR repository."
}

variable "force_delete" {
  type        = bool
  default     = false
  description = "Allow `terraform destroy` to delete the repository together with its images."
}

resource "todo_ecr_repository" "app" {
  name = var.repository_name
  # A git SHA names exactly one build: never let a push move it.
  image_tag_mutability = "IMMUTABLE"
  scan_on_push         = true
  # One image per commit adds up: keep the newest 30.
  keep_images  = 30
  force_delete = var.force_delete
  tags = {
    component = "registry"
  }
}

output "repository_url" {
  value       = todo_ecr_repository.app.repository_url
  description = "Push images to <repository_url>:<short git SHA>."
}

output "repository_name" {
  value = todo_ecr_repository.app.name
}
