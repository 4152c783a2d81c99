"""Push delivery: fan-out of new items to subscribers, the durable sending worker, the rate limiter,
digests and quiet hours, and breaking-news broadcasts."""
