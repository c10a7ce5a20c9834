# Validations of modules/sqs-queue.
variables {
  name = "acme-dev-jobs"
}

run "queue_accepts_a_1_mib_message_size" {
  command = plan
  module {
    source = "./m/sqs-queue"
  }
  variables {
    max_message_size = 1048576
  }
}

run "queue_rejects_more_than_1_mib_and_a_long_poll_over_20_s" {
  command = plan
  module {
    source = "./m/sqs-queue"
  }
  variables {
    max_message_size          = 2097152
    receive_wait_time_seconds = 21
  }
  expect_failures = [var.max_message_size, var.receive_wait_time_seconds]
}

run "queue_rejects_an_unknown_publisher_service" {
  command = plan
  module {
    source = "./m/sqs-queue"
  }
  variables {
    publishers = [{ service = "lambda.amazonaws.com", source_arn = "arn:aws:lambda:us-east-1:1:function:f" }]
  }
  expect_failures = [var.publishers]
}
