# Provider configuration. Everything is optional: credentials and region come from the AWS
# default chain (environment, shared profile, SSO, instance role) when unset.
terraform {
  required_version = ">= 1.5"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {
  region = "eu-central-1"

  # For an emulator (ministack, moto, LocalStack Pro), either export AWS_ENDPOINT_URL or:
  # endpoints {
  #   ecr = "http://127.0.0.1:4566"
  #   ecs = "http://127.0.0.1:4566"
  # }

  default_tags {
    tags = {
      project    = "todo"
      managed_by = "terraform"
    }
  }
}
