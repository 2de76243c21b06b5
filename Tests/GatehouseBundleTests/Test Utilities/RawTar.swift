import CZlib
import Foundation

/// Builds tar archives entry by entry, including the hostile kinds the bundle reader must
/// refuse (links, devices, `..` paths), independently of the reader's own writer.
struct RawTar {
    /// One entry: `type` is the ustar type flag ("0" file, "5" directory, "1" hard link, "2" symlink…).
    struct Entry {
        var name: String
        var type: Character = "0"
        var bytes: [UInt8] = []
        var link: String = ""
        var prefix: String = ""
    }

    var entries: [Entry] = []
    /// Whether to end with the two zero blocks (a truncated archive has none).
    var isTerminated = true
    /// Corrupts the first header's checksum.
    var breaksChecksum = false

    mutating func file(_ name: String, _ text: String) {
        self.entries.append(Entry(name: name, bytes: Array(text.utf8)))
    }

    mutating func file(_ name: String, bytes: [UInt8]) {
        self.entries.append(Entry(name: name, bytes: bytes))
    }

    var tarBytes: [UInt8] {
        var out: [UInt8] = []
        for (index, entry) in self.entries.enumerated() {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, _ offset: Int, _ length: Int) {
                for (i, byte) in text.utf8.prefix(length).enumerated() { header[offset + i] = byte }
            }
            func octal(_ value: Int, _ offset: Int, _ length: Int) {
                let digits = String(value, radix: 8)
                put(String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, offset, length - 1)
            }
            put(entry.name, 0, 100)
            octal(0o644, 100, 8)
            octal(0, 108, 8)
            octal(0, 116, 8)
            octal(entry.bytes.count, 124, 12)
            octal(1_700_000_000, 136, 12)
            put(String(entry.type), 156, 1)
            put(entry.link, 157, 100)
            put("ustar", 257, 6)
            put("00", 263, 2)
            put(entry.prefix, 345, 155)
            put("        ", 148, 8)
            var sum = header.reduce(0) { $0 + Int($1) }
            if self.breaksChecksum && index == 0 { sum += 1 }
            octal(sum, 148, 7)
            out += header
            out += entry.bytes + [UInt8](repeating: 0, count: (512 - entry.bytes.count % 512) % 512)
        }
        if self.isTerminated { out += [UInt8](repeating: 0, count: 1024) }
        return out
    }

    /// The archive gzipped.
    var gzipBytes: [UInt8] { Self.gzip(self.tarBytes) }

    /// gzip with zlib (fast level: tests compress large bomb payloads).
    static func gzip(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(
            &stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(started == Z_OK)
        defer { deflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            var status = Z_OK
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return deflate(&stream, Z_FINISH)
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
            }
        }
        return output
    }
}
