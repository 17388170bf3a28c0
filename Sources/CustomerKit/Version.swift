/// The custctl release this library belongs to.
public let custctlVersion = "0.1.0"
