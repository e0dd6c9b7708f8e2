# Build once, deploy everywhere: the same image tag goes to staging and to prod, each a
# module instance with its own sizing. Promote a build by applying its tag; roll back by
# applying an older one.
terraform {
  required_version = ">= 1.5"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

variable "image_tag" {
  type        = string
  description = "The short git SHA to run in every environment."
}

variable "repository_name" {
  type    = string
  default = "todo-service"
}

variable "subnets" {
  type    = list(string)
  default = ["subnet-0123456789abcdef0"]
}

data "todo_ecr_image" "release" {
  repository_name = var.repository_name
  image_tag       = var.image_tag
}

resource "todo_ecs_cluster" "main" {
  name = "todo-environments"
}

locals {
  repository_url = split("@", data.todo_ecr_image.release.image_uri)[0]
}

module "staging" {
  source = "../modules/todo-service"

  environment    = "staging"
  cluster        = todo_ecs_cluster.main.name
  repository_url = local.repository_url
  image_tag      = var.image_tag
  subnets        = var.subnets
}

module "prod" {
  source = "../modules/todo-service"

  environment    = "prod"
  cluster        = todo_ecs_cluster.main.name
  repository_url = local.repository_url
  image_tag      = var.image_tag
  subnets        = var.subnets
  cpu            = 512
  memory         = 1024
  desired_count  = 2
}

output "images" {
  value = {
    staging = module.staging.image
    prod    = module.prod.image
  }
}
