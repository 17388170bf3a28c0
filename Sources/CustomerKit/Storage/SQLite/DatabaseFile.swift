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

    /// How many backups `migrate` keeps per database.
    static let backupsKept = 3

    /// A name for a new backup of `path`: `<path>.backup-<UTC time>Z`, with `-2`, `-3`... when taken.
    static func newBackupPath(for path: String, at instant: Date) -> String {
        let stamp = Timestamp.string(from: instant).filter { $0.isNumber || $0 == "T" }.prefix(15)
        var candidate = "\(path).backup-\(stamp)Z"
        var attempt = 1
        while FileManager.default.fileExists(atPath: candidate) {
            attempt += 1
            candidate = "\(path).backup-\(stamp)Z-\(attempt)"
        }
        return candidate
    }

    /// Deletes all but the newest `backupsKept` backups of `path` that custctl named
    /// (`<path>.backup-YYYYMMDDTHHMMSSZ`, optionally `-N`): regular files of the current user only;
    /// anything else in the folder is left alone. Returns the paths removed.
    static func pruneBackups(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let marker = url.lastPathComponent + ".backup-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let backups = names.compactMap { name -> (name: String, stamp: String, attempt: Int)? in
            guard name.hasPrefix(marker) else { return nil }
            let rest = name.dropFirst(marker.count)
            let stamp = String(rest.prefix(16))
            let digits = stamp.utf8.enumerated().allSatisfy { index, byte in
                index == 8
                    ? byte == UInt8(ascii: "T") : index == 15 ? byte == UInt8(ascii: "Z") : (48...57).contains(byte)
            }
            guard stamp.count == 16, digits else { return nil }
            let suffix = rest.dropFirst(16)
            if suffix.isEmpty { return (name, stamp, 1) }
            guard suffix.first == "-", let attempt = Int(suffix.dropFirst()), attempt > 1 else { return nil }
            return (name, stamp, attempt)
        }.sorted { ($0.stamp, $0.attempt) > ($1.stamp, $1.attempt) }
        var removed: [String] = []
        for backup in backups.dropFirst(backupsKept) {
            let candidate = folder + "/" + backup.name
            var info = stat()
            guard lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
                unlink(candidate) == 0
            else { continue }
            removed.append(candidate)
        }
        return removed
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
