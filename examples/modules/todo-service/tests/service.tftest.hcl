# `terraform test` for the todo-service module, run against an emulator by `make test`
# (AWS_ENDPOINT_URL points the provider at it). The repository URL is outside ECR here, so the
# provider does not look the tag up; the acceptance tests cover the ECR tag check.

provider "todo" {}

variables {
  environment    = "test"
  cluster        = "todo-module-test"
  repository_url = "ghcr.io/acme/todo-service"
  image_tag      = "1a2b3c4"
  subnets        = ["subnet-0123456789abcdef0"]
}

run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "deploys_the_given_tag" {
  assert {
    condition     = output.image == "ghcr.io/acme/todo-service:1a2b3c4"
    error_message = "the service must run <repository_url>:<image_tag>"
  }
  assert {
    condition     = todo_fargate_service.this.name == "todo-service-test"
    error_message = "the service name carries the environment"
  }
  assert {
    condition     = todo_fargate_service.this.environment["APP_ENV"] == "test"
    error_message = "APP_ENV is set from the environment"
  }
}

run "new_tag_rolls_forward_in_place" {
  variables {
    image_tag = "5d6e7f8"
  }
  assert {
    condition     = output.image == "ghcr.io/acme/todo-service:5d6e7f8"
    error_message = "the new tag must be deployed"
  }
  assert {
    condition     = output.service_arn == run.deploys_the_given_tag.service_arn
    error_message = "a new tag must not replace the service"
  }
  assert {
    condition     = output.task_definition_revision > run.deploys_the_given_tag.task_definition_revision
    error_message = "a new tag registers a new task definition revision"
  }
}

run "older_tag_rolls_back_in_place" {
  variables {
    image_tag = "1a2b3c4"
  }
  assert {
    condition     = output.image == "ghcr.io/acme/todo-service:1a2b3c4"
    error_message = "the older tag must be deployed again"
  }
  assert {
    condition     = output.service_arn == run.deploys_the_given_tag.service_arn
    error_message = "a rollback must not replace the service"
  }
}

run "rejects_a_bad_environment_name" {
  command = plan
  variables {
    environment = "Prod Env"
  }
  expect_failures = [var.environment]
}

run "sidecars_and_fargate_spot" {
  variables {
    log_configuration = {
      log_driver = "awsfirelens"
      options    = { Name = "cloudwatch_logs", region = "us-east-1", log_group_name = "/ecs/todo" }
    }
    container_depends_on = [{ container_name = "log_router", condition = "START" }]
    health_check         = { command = ["CMD-SHELL", "wget -qO- http://localhost:3000/health || exit 1"] }
    working_directory    = "/app"
    ulimits              = [{ name = "nofile", soft_limit = 4096, hard_limit = 8192 }]
    linux_parameters     = { init_process_enabled = true }
    sidecars = [{
      name                   = "log_router"
      image                  = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
      essential              = true
      memory                 = 128
      working_directory      = "/fluent-bit"
      ulimits                = [{ name = "nofile", soft_limit = 1024, hard_limit = 2048 }]
      linux_parameters       = { init_process_enabled = true }
      firelens_configuration = { type = "fluentbit" }
    }]
    capacity_provider_strategy = [
      { capacity_provider = "FARGATE", base = 1 },
      { capacity_provider = "FARGATE_SPOT", weight = 1 },
    ]
  }
  assert {
    condition     = output.sidecar_images == { log_router = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable" }
    error_message = "the log router runs beside the application"
  }
  assert {
    condition     = length(todo_fargate_service.this.capacity_provider_strategy) == 2
    error_message = "the service runs on the FARGATE / FARGATE_SPOT strategy"
  }
  assert {
    condition = (
      todo_fargate_service.this.working_directory == "/app"
      && todo_fargate_service.this.ulimits[0].soft_limit == 4096
      && todo_fargate_service.this.linux_parameters.init_process_enabled
    )
    error_message = "the application's working directory, ulimits and init process reach the service"
  }
  assert {
    condition = (
      todo_fargate_service.this.sidecar[0].working_directory == "/fluent-bit"
      && todo_fargate_service.this.sidecar[0].ulimits[0].hard_limit == 2048
      && todo_fargate_service.this.sidecar[0].linux_parameters.init_process_enabled
    )
    error_message = "a sidecar's working directory, ulimits and init process pass through"
  }
}

run "a_new_tag_moves_only_the_application_image" {
  variables {
    image_tag = "5d6e7f8"
    log_configuration = {
      log_driver = "awsfirelens"
      options    = { Name = "cloudwatch_logs", region = "us-east-1", log_group_name = "/ecs/todo" }
    }
    container_depends_on = [{ container_name = "log_router", condition = "START" }]
    health_check         = { command = ["CMD-SHELL", "wget -qO- http://localhost:3000/health || exit 1"] }
    working_directory    = "/app"
    ulimits              = [{ name = "nofile", soft_limit = 4096, hard_limit = 8192 }]
    linux_parameters     = { init_process_enabled = true }
    sidecars = [{
      name                   = "log_router"
      image                  = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
      essential              = true
      memory                 = 128
      working_directory      = "/fluent-bit"
      ulimits                = [{ name = "nofile", soft_limit = 1024, hard_limit = 2048 }]
      linux_parameters       = { init_process_enabled = true }
      firelens_configuration = { type = "fluentbit" }
    }]
    capacity_provider_strategy = [
      { capacity_provider = "FARGATE", base = 1 },
      { capacity_provider = "FARGATE_SPOT", weight = 1 },
    ]
  }
  assert {
    condition     = output.image == "ghcr.io/acme/todo-service:5d6e7f8"
    error_message = "the new tag must be deployed"
  }
  assert {
    condition     = output.sidecar_images == run.sidecars_and_fargate_spot.sidecar_images
    error_message = "a new tag must not move a sidecar's image"
  }
  assert {
    condition     = output.service_arn == run.sidecars_and_fargate_spot.service_arn
    error_message = "a new tag must not replace the service"
  }
}
