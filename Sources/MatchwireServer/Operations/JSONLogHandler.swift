import Foundation
import Logging
import MatchwireCore

/// `--log-format json`: one JSON object per line on standard output, for log shippers. Fields: `time` (UTC,
/// ISO 8601 with milliseconds), `level`, `label`, `message`, then the metadata, each as a string.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable ([UInt8]) -> Void

    public init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardOutput) {
        self.label = label
        self.write = write
    }

    /// Writes the line to standard output in one write, so that lines of different threads do not interleave.
    public static let standardOutput: @Sendable ([UInt8]) -> Void = { bytes in
        FileHandle.standardOutput.write(Data(bytes))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let own = event.metadata { fields.merge(own) { $1 } }
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.key("time")
        writer.string(Timestamp.now.description)
        writer.key("level")
        writer.string(event.level.rawValue)
        writer.key("label")
        writer.string(label)
        writer.key("message")
        writer.string(event.message.description)
        for (key, value) in fields.sorted(by: { $0.key < $1.key })
        where !["time", "level", "label", "message"].contains(key) {
            writer.key(key)
            writer.string(value.description)
        }
        writer.endObject()
        write(writer.bytes + [0x0A])
    }
}
