output "name" {
  description = "Name of the bucket (what UPLOADS_BUCKET_NAME-style env vars carry)."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "ARN of the bucket; objects are \"<arn>/*\"."
  value       = aws_s3_bucket.this.arn
}

output "regional_domain_name" {
  description = "Regional domain name of the bucket (for presigned URLs and CORS)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
