# Logs Docker in to the account's ECR registry with the provider itself: no AWS CLI, and the
# password never reaches the state or a plan file (an ephemeral resource, Terraform 1.10+).
#
#   terraform -chdir=examples/login init && terraform -chdir=examples/login apply
#
# Each apply logs in again (the token lives 12 hours).

terraform {
  required_version = ">= 1.10"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}

ephemeral "todo_ecr_authorization_token" "ecr" {}

resource "terraform_data" "docker_login" {
  triggers_replace = [timestamp()]

  provisioner "local-exec" {
    command = "printf '%s' \"$PASSWORD\" | docker login --username \"$USER_NAME\" --password-stdin \"$REGISTRY\""
    environment = {
      REGISTRY  = ephemeral.todo_ecr_authorization_token.ecr.proxy_endpoint
      USER_NAME = ephemeral.todo_ecr_authorization_token.ecr.user_name
      PASSWORD  = ephemeral.todo_ecr_authorization_token.ecr.password
    }
  }
}
