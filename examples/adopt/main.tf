# Adopt what already runs: the demo's cluster, service and registry (or any created from the
# console or with CDK) come under Terraform without being recreated.
#
#   terraform query                                      # what demo.tfquery.hcl finds
#   terraform query -generate-config-out=generated.tf    # a resource and an import block each
#   terraform plan                                       # imports only: no change
#   terraform apply
#
# Terraform 1.14 or later. The list blocks take the names from the variables below, so
# `-var cluster=prod` looks elsewhere; the generated blocks import by resource identity.
terraform {
  required_version = ">= 1.14"
  required_providers {
    todo = { source = "todo/todo" }
  }
}

provider "todo" {}
