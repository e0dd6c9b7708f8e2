# The todo service as production runs it: the application logs through a FireLens log router
# (Fluent Bit) running beside it, waits for the router to start, and has a container health
# check. Staging runs on FARGATE_SPOT, with its first task on FARGATE so that a Spot
# interruption never takes it to zero; prod runs on FARGATE.
#
#   terraform apply -var image_tag=$(git rev-parse --short HEAD)
#
# A new image_tag moves only the application's image: the router's image is pinned here and
# changes only when this file does. On AWS, the cluster must have the FARGATE and FARGATE_SPOT
# capacity providers, and the execution role must be able to pull the router's image.
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

variable "region" {
  type        = string
  default     = "us-east-1"
  description = "Where the log router sends the logs (CloudWatch Logs)."
}

data "todo_ecr_image" "release" {
  repository_name = var.repository_name
  image_tag       = var.image_tag
}

# The cluster offers both capacity providers; services pick theirs with a strategy.
resource "todo_ecs_cluster" "main" {
  name               = "todo-production"
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

locals {
  repository_url = split("@", data.todo_ecr_image.release.image_uri)[0]

  # The log router: Fluent Bit from the AWS public gallery, its own logs in CloudWatch.
  log_router = {
    name      = "log_router"
    image     = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    essential = true
    cpu       = 64
    memory    = 128
    firelens_configuration = {
      type    = "fluentbit"
      options = { enable-ecs-log-metadata = "true" }
    }
  }

  # The application sends its stdout and stderr through the router.
  firelens_logs = {
    log_driver = "awsfirelens"
    options = {
      Name              = "cloudwatch_logs"
      region            = var.region
      log_group_name    = "/ecs/todo-service"
      log_stream_prefix = "app/"
      auto_create_group = "true"
    }
  }

  health_check = {
    command      = ["CMD-SHELL", "wget -qO- http://localhost:3000/health || exit 1"]
    interval     = 15
    start_period = 30
  }
}

module "staging" {
  source = "../modules/todo-service"

  environment    = "staging"
  cluster        = todo_ecs_cluster.main.name
  repository_url = local.repository_url
  image_tag      = var.image_tag
  subnets        = var.subnets
  cpu            = 512
  memory         = 1024
  desired_count  = 2

  sidecars             = [local.log_router]
  log_configuration    = local.firelens_logs
  container_depends_on = [{ container_name = "log_router", condition = "START" }]
  health_check         = local.health_check

  capacity_provider_strategy = [
    { capacity_provider = "FARGATE", base = 1 },
    { capacity_provider = "FARGATE_SPOT", weight = 1 },
  ]
}

module "prod" {
  source = "../modules/todo-service"

  environment    = "prod"
  cluster        = todo_ecs_cluster.main.name
  repository_url = local.repository_url
  image_tag      = var.image_tag
  subnets        = var.subnets
  cpu            = 1024
  memory         = 2048
  desired_count  = 3
  stop_timeout   = 60

  sidecars             = [local.log_router]
  log_configuration    = local.firelens_logs
  container_depends_on = [{ container_name = "log_router", condition = "START" }]
  health_check         = local.health_check
}

output "images" {
  value = {
    staging = module.staging.image
    prod    = module.prod.image
  }
}

output "sidecar_images" {
  value = module.staging.sidecar_images
}
