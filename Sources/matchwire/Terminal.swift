import Foundation

/// Writing to a terminal or to a file: redrawn lines on a terminal, plain lines otherwise.
enum Terminal {
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    static let clearLine = "\u{1B}[2K"

    /// Moves the cursor up `count` lines, to the start of the line.
    static func up(_ count: Int) -> String { count > 0 ? "\u{1B}[\(count)F" : "\r" }

    /// Writes a line at once, unbuffered, so that a reader of a pipe sees it as it happens.
    static func line(_ text: String) { write(text + "\n") }

    static func write(_ text: String, to handle: FileHandle = .standardOutput) {
        handle.write(Data(text.utf8))
    }
}

/// One status line: redrawn in place with `\r` on a terminal; otherwise written as a new line only when its
/// `key` changes (a new period or score), so a log file gets a line per event rather than per update.
struct ProgressLine {
    let onTerminal: Bool
    let handle: FileHandle
    private var lastKey: String?

    init(handle: FileHandle) {
        self.handle = handle
        onTerminal = Terminal.isTerminal(handle.fileDescriptor)
    }

    mutating func show(_ text: String, key: String) {
        if onTerminal {
            Terminal.write("\r" + Terminal.clearLine + text, to: handle)
        } else if key != lastKey {
            Terminal.write(text + "\n", to: handle)
        }
        lastKey = key
    }

    /// Ends the redrawn line, so what follows starts on a new one.
    func finish() {
        if onTerminal { Terminal.write("\n", to: handle) }
    }
}

/// A progress bar on a terminal (`checking [#######.............] 812/1500`), redrawn at most every percent;
/// nothing when the output is not a terminal.
struct ProgressBar {
    let label: String
    let handle: FileHandle
    let onTerminal: Bool
    private var shownPercent = -1
    static let width = 30

    init(label: String, handle: FileHandle) {
        self.label = label
        self.handle = handle
        onTerminal = Terminal.isTerminal(handle.fileDescriptor)
    }

    mutating func show(_ done: Int, of total: Int) {
        guard onTerminal, total > 0 else { return }
        let percent = done * 100 / total
        guard percent != shownPercent else { return }
        shownPercent = percent
        let filled = done * Self.width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        Terminal.write("\r\(Terminal.clearLine)\(label) [\(bar)] \(done)/\(total)", to: handle)
    }

    func finish() {
        if onTerminal, shownPercent >= 0 { Terminal.write("\n", to: handle) }
    }
}
