#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Tells, without reading the store, whether its tokens may have changed since a moment: a server keeps the tokens
/// it checked in memory and drops them all whenever ``generation`` moves.
///
/// A token stored or revoked through this process moves it at once (a counter). One stored or revoked by another
/// process (the `token` command, while the server runs) moves it through a marker file beside the database: every
/// change appends one byte to it after its commit, and the generation includes the file's size, read with one
/// `stat` (about a microsecond, no store read). So a revocation is seen by the next check that starts after the
/// command has returned, as a store read would see it.
public final class TokenChanges: Sendable {
    /// What the generation is made of; equal values mean that no token changed in between.
    public struct Generation: Equatable, Sendable {
        let local: Int
        /// The marker file's size and inode, -1 when it does not exist (no change was ever made by another process).
        let markerSize: Int
        let markerInode: UInt64
    }

    private let local = Atomic<Int>(0)
    /// The marker file; nil for a store that only this process writes to.
    let markerPath: String?
    /// The permissions the marker file is created with: the database's own, so that whoever may write the database
    /// (a server, the `token` command run as another user) may append to the marker.
    private let markerMode: mode_t
    private let markerFailures = Atomic<Int>(0)

    /// `database` is the path of the database the marker goes beside (nil: no marker); the marker is created with
    /// that file's permissions.
    public init(database: String?) {
        self.markerPath = database.map(Self.marker(ofDatabase:))
        var status = stat()
        if let database, stat(database, &status) == 0 {
            markerMode = status.st_mode & 0o666
        } else {
            markerMode = 0o644
        }
    }

    /// The marker file of a SQLite database: the database's path with `-tokens` after it, as SQLite names its
    /// `-wal` and `-shm` files.
    public static func marker(ofDatabase path: String) -> String { path + "-tokens" }

    /// The current generation: one atomic load and, with a marker file, one `stat`.
    public var generation: Generation {
        let local = local.load(ordering: .acquiring)
        guard let markerPath else { return Generation(local: local, markerSize: -1, markerInode: 0) }
        var status = stat()
        guard stat(markerPath, &status) == 0 else { return Generation(local: local, markerSize: -1, markerInode: 0) }
        return Generation(local: local, markerSize: Int(status.st_size), markerInode: UInt64(status.st_ino))
    }

    /// Whether a change could not be told through the marker file (it could not be opened or written): other
    /// processes then see the change only when they read the token again, within their table's maximum age. The
    /// `token` command says so.
    public var markerWriteFailed: Bool { markerFailures.load(ordering: .relaxed) > 0 }

    /// Records a committed change of the tokens: the counter moves, and a byte is appended to the marker file for
    /// the other processes. A marker that cannot be written is counted (``markerWriteFailed``), not thrown: the
    /// change is committed, and a server also reads every token it keeps again after at most its table's maximum
    /// age.
    func changed() {
        local.add(1, ordering: .releasing)
        guard let markerPath else { return }
        let file = open(markerPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, markerMode)
        guard file >= 0 else {
            markerFailures.add(1, ordering: .relaxed)
            return
        }
        var byte = UInt8(ascii: "\n")
        if write(file, &byte, 1) != 1 { markerFailures.add(1, ordering: .relaxed) }
        close(file)
    }
}
