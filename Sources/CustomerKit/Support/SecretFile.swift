import Foundation

/// A file that will hold secrets (API keys, a backup), created new and written through the one
/// descriptor that created it (SPEC 5.7): `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600. An existing path, a
/// symlink, or a path another user pre-created is refused; the file written is the file created.
public final class SecretFile {
    /// The path as given.
    public let path: String
    private let fd: Int32

    /// Creates `path`, refusing an existing one (73) and the database's own files (64).
    public init(creating path: String, database: String?) throws {
        if let database, Self.names(path, sameAs: database) { throw OutputError.databaseFile(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST || code == ELOOP { throw OutputError.exists(path) }
            throw OutputError.cannotCreate(path, reason: DatabaseFile.describe(errno: code))
        }
        // The umask may have taken bits away, never added them; make the mode exact all the same.
        guard fchmod(fd, 0o600) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw OutputError.cannotCreate(path, reason: DatabaseFile.describe(errno: code))
        }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes all of `data` through the descriptor that created the file.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = Glibc.write(fd, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw OutputError.cannotCreate(path, reason: DatabaseFile.describe(errno: errno))
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw OutputError.cannotCreate(path, reason: DatabaseFile.describe(errno: errno)) }
    }

    /// True when the path still names the file this descriptor created (nobody swapped it).
    public var isStillAtPath: Bool {
        var mine = stat()
        var there = stat()
        guard fstat(fd, &mine) == 0, lstat(path, &there) == 0 else { return false }
        return mine.st_dev == there.st_dev && mine.st_ino == there.st_ino
    }

    /// Removes the file after a failure, when it is still the one created here.
    public func discard() {
        if isStillAtPath { unlink(path) }
    }

    /// True when `candidate` names the database at `database` or one of its companion files (-wal,
    /// -shm, -journal, -lock), however the two are spelled (`./x.db`, `x.db`, through a symlinked folder).
    static func names(_ candidate: String, sameAs database: String) -> Bool {
        let target = resolved(candidate)
        let base = resolved(database)
        return ["", "-wal", "-shm", "-journal", "-lock"].contains { target == base + $0 }
    }

    /// The absolute path of `path` with its folder's symlinks resolved (the file itself may not exist).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard let real = realpath(folder, nil) else { return url.standardizedFileURL.path }
        defer { free(real) }
        return String(cString: real) + "/" + url.lastPathComponent
    }
}

/// Files custctl cannot write.
public enum OutputError: DomainError, Equatable {
    /// The path exists (or is a symlink): it is left untouched.
    case exists(String)
    /// The path is the database itself or one of its files.
    case databaseFile(String)
    /// The file could not be created or written.
    case cannotCreate(String, reason: String)

    public var kind: FailureKind {
        switch self {
        case .exists, .cannotCreate: return .conflict
        case .databaseFile: return .usage
        }
    }

    public var code: String {
        switch self {
        case .exists: return "output_exists"
        case .databaseFile: return "output_is_database"
        case .cannotCreate: return "output_unwritable"
        }
    }

    public var description: String {
        switch self {
        case .exists(let path):
            return "\(path) exists; custctl writes secrets only to a new file: choose a path that does not exist"
        case .databaseFile(let path):
            return "\(path) is the database or one of its files; choose another path"
        case let .cannotCreate(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
