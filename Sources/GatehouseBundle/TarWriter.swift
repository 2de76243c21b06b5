/// Writes a deterministic POSIX ustar archive: entries sorted by path, every parent directory
/// listed before its files, mode 0644 / 0755, owner 0:0 without names, one fixed mtime.
///
/// Paths over ustar's 100 (+155 prefix) bytes get a pax `path` record, which GNU tar reads.
enum TarWriter {
    static func write(files: [(name: String, bytes: [UInt8])], mtime: Int) -> [UInt8] {
        var directories: Set<String> = []
        for file in files {
            var parent = Substring(file.name)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                directories.insert(String(parent))
            }
        }
        var entries: [(name: String, bytes: [UInt8]?)] = directories.map { ($0, nil) }
        entries += files.map { ($0.name, $0.bytes) }
        entries.sort { $0.name < $1.name }
        var out: [UInt8] = []
        for entry in entries {
            let isDirectory = entry.bytes == nil
            let path = isDirectory ? entry.name + "/" : entry.name
            let fields = Self.split(path)
            if fields == nil {
                let record = Self.paxRecord("path", path)
                out += Self.header(
                    name: "PaxHeader/" + String(entry.name.suffix(80)), prefix: "", size: record.count, type: "x",
                    mode: 0o644, mtime: mtime)
                out += Self.padded(record)
            }
            let (prefix, name) = fields ?? ("", String(decoding: path.utf8.suffix(99), as: UTF8.self))
            let bytes = entry.bytes ?? []
            out += Self.header(
                name: name, prefix: prefix, size: bytes.count, type: isDirectory ? "5" : "0",
                mode: isDirectory ? 0o755 : 0o644, mtime: mtime)
            out += Self.padded(bytes)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }

    /// `(prefix, name)` when `path` fits ustar's fields, else `nil`.
    private static func split(_ path: String) -> (String, String)? {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        // Split at a slash so that prefix ≤ 155 and name ≤ 100 bytes.
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") {
            let prefixLength = index
            let nameLength = bytes.count - index - 1
            if prefixLength <= 155 && nameLength <= 100 && nameLength > 0 {
                return (
                    String(decoding: bytes[..<index], as: UTF8.self),
                    String(decoding: bytes[(index + 1)...], as: UTF8.self)
                )
            }
        }
        return nil
    }

    /// One pax record, `<length> key=value\n`, where the length counts itself.
    private static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    private static func header(name: String, prefix: String, size: Int, type: Character, mode: Int, mtime: Int)
        -> [UInt8]
    {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int, _ length: Int) {
            for (index, byte) in text.utf8.prefix(length).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, _ offset: Int, _ length: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, offset, length - 1)
        }
        put(name, 0, 100)
        octal(mode, 100, 8)
        octal(0, 108, 8)
        octal(0, 116, 8)
        octal(size, 124, 12)
        octal(mtime, 136, 12)
        put(String(type), 156, 1)
        put("ustar", 257, 6)
        put("00", 263, 2)
        octal(0, 329, 8)
        octal(0, 337, 8)
        put(prefix, 345, 155)
        put("        ", 148, 8)
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, 148, 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        return header
    }

    private static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }
}
