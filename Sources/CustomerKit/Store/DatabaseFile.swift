import Foundation

/// File-system work around the database file: creation with safe permissions, the schema lock,
/// and backups.
enum DatabaseFile {
    /// Makes sure `path` can be opened as a database: an existing regular file (or a link to one) is
    /// left alone; a missing one is created empty with mode 0600, so SQLite gives its -wal and -shm
    /// files the same mode. An existing empty file becomes a new database only when it is the current
    /// user's and private: another user could have pre-created it to read what custctl stores.
    static func prepare(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw StoreError.unusable(path: path, reason: "it is a directory")
            }
            if info.st_size == 0 {
                if info.st_uid != geteuid() { throw StoreError.untrustedEmptyFile(path: path, problem: .otherOwner) }
                if info.st_mode & 0o077 != 0 {
                    throw StoreError.untrustedEmptyFile(path: path, problem: .openMode(info.st_mode & 0o777))
                }
            }
            return
        }
        let fd = Foundation.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        let code = errno
        if code == EEXIST, stat(path, &info) == 0 { return }  // another process created it first
        if code == EEXIST {
            throw StoreError.unusable(path: path, reason: "it is a link to a file that does not exist")
        }
        throw StoreError.unusable(path: path, reason: describe(errno: code))
    }

    /// True when the file at `path` can be read or written by group or others.
    static func isOpenToOthers(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & 0o077 != 0
    }

    static func describe(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "the folder does not exist"
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "read-only file system"
        case ENOSPC: return "no space left on device"
        default: return String(cString: strerror(code))
        }
    }
}

/// An exclusive advisory lock on `<database>-lock`, held while the schema changes so that many
/// processes opening one new database create its schema once. The lock file stays in place:
/// removing it would race with processes waiting on it.
final class SchemaLock {
    private let fd: Int32

    /// Waits for the lock, up to `timeout` seconds (then the database counts as busy).
    init(databasePath: String, timeout: TimeInterval) throws {
        let lockPath = databasePath + "-lock"
        // Not through a symlink: a link planted there must not make custctl create or lock another file.
        let fd = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason =
                errno == ELOOP
                ? "it is a symbolic link; remove it (custctl makes its own lock file)"
                : DatabaseFile.describe(errno: errno)
            throw StoreError.unusable(path: lockPath, reason: reason)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(fd)
                throw StoreError.busy(seconds: timeout)
            }
            usleep(2_000)
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
