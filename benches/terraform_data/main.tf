# The floor: n built-in terraform_data resources, which Terraform plans without any plugin.
variable "n" {
  type = number
}

resource "terraform_data" "bench" {
  count = var.n
  input = "bench-${count.index}"
}
