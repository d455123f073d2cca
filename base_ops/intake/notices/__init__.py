"""Release notices (释放通知书): receipt, the deadlines they set, the import of a prison's sheet, collection."""
