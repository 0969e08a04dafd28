"""The FileStorage run layout shared by FileStorage, S3 and GCS: layout, id claims, buckets."""
