# The deployment: a cluster and the service, with the image tag as an input at apply time.
#
#   terraform apply -var image_tag=$(git rev-parse --short HEAD)
#
# Any environment can run any pushed version; a rollback is an apply with an older tag.
terraform {
  required_version = ">= 1.5"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

variable "image_tag" {
  type        = string
  description = "The image to deploy: the short git SHA the CI pipeline pushed."
}

variable "repository_name" {
  type        = string
  default     = "todo-service"
  description = "The ECR repository that examples/registry manages."
}

variable "subnets" {
  type        = list(string)
  default     = ["subnet-0123456789abcdef0"]
  description = "Subnets for the tasks (use your VPC's private subnets on AWS)."
}

variable "security_groups" {
  type    = list(string)
  default = []
}

# Resolves the tag in the registry: the plan fails right here for a tag that was never pushed.
data "todo_ecr_image" "release" {
  repository_name = var.repository_name
  image_tag       = var.image_tag
}

resource "todo_ecs_cluster" "main" {
  name = "todo"
}

module "service" {
  source = "../modules/todo-service"

  environment     = "demo"
  cluster         = todo_ecs_cluster.main.name
  repository_url  = split("@", data.todo_ecr_image.release.image_uri)[0]
  image_tag       = var.image_tag
  subnets         = var.subnets
  security_groups = var.security_groups
}

output "service_arn" {
  value = module.service.service_arn
}

output "image" {
  value = module.service.image
}

output "image_digest" {
  value       = data.todo_ecr_image.release.image_digest
  description = "The digest the tag resolved to."
}

output "task_definition_arn" {
  value = module.service.task_definition_arn
}
