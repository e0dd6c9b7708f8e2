output "service_arn" {
  value       = todo_fargate_service.this.arn
  description = "The ECS service ARN; stays the same across image changes."
}

output "image" {
  value       = todo_fargate_service.this.image
  description = "The image the service runs."
}

output "task_definition_arn" {
  value       = todo_fargate_service.this.task_definition_arn
  description = "The task definition revision the service runs."
}

output "task_definition_revision" {
  value = todo_fargate_service.this.task_definition_revision
}

output "sidecar_images" {
  value       = { for s in todo_fargate_service.this.sidecar : s.name => s.image }
  description = "The image of each sidecar, by container name."
}
