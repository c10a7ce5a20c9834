# Rendered by `trellis generate` from trellis.toml: do not edit.
# Change trellis.toml and run `trellis generate`; `trellis check` fails while this file is stale.

module "uploads_bucket" {
  source     = "./modules/s3-bucket"
  name       = "acme-${var.environment}-uploads"
  versioning = true
  queue_notifications = [
    {
      queue_arn = module.jobs_queue.arn
      events    = ["s3:ObjectCreated:*"]
      prefix    = "uploads/"
      suffix    = ""
    },
  ]
  depends_on = [module.jobs_queue]
  tags = {
    Name = "acme-${var.environment}-uploads"
  }
}
