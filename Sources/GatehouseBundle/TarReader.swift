/// Reads a POSIX ustar archive (as GNU tar and `gatehouse bundle build` write it) into
/// ``BundleFiles``, accepting only regular files and directories.
///
/// Long names come from pax `path` records (`x` headers) or GNU `L` headers; global pax headers
/// (`g`, e.g. from `git archive`) are skipped. Links, devices and FIFOs are refused, as are
/// unsafe paths, a bad header checksum, an archive that ends without its end-of-archive blocks,
/// and anything over the ``BundleLimits``.
enum TarReader {
    static func read(_ data: [UInt8], limits: BundleLimits) throws(BundleError) -> BundleFiles {
        var files = BundleFiles(limits: limits)
        var offset = 0
        var longName: String?
        while true {
            guard offset + 512 <= data.count else {
                throw BundleError(
                    .archiveCorrupt,
                    "The archive ends without tar's end-of-archive blocks (truncated); rebuild it.")
            }
            let header = Array(data[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) {
                guard data[offset...].allSatisfy({ $0 == 0 }) else {
                    throw BundleError(
                        .archiveCorrupt, "The archive has data after tar's end-of-archive block; rebuild it.")
                }
                break
            }
            try TarHeader.checkChecksum(header)
            let size = try TarHeader.number(header, 124, 12, field: "size")
            let start = offset + 512
            guard size <= data.count - start else {
                throw BundleError(
                    .archiveCorrupt, "The archive ends inside an entry's contents (truncated); rebuild it.")
            }
            let type = header[156]
            let rawName = longName ?? TarHeader.path(header)
            let body = { () throws(BundleError) -> [UInt8] in
                try files.checkFits(rawName, size: size)
                return Array(data[start..<(start + size)])
            }
            switch type {
            case UInt8(ascii: "x"):
                longName = try TarHeader.paxPath(try body()) ?? longName
            case UInt8(ascii: "L"):
                longName = String(decoding: try body().prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "g"), UInt8(ascii: "K"):
                _ = try body()
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                let name = try BundlePath.normalize(rawName, entry: "archive entry")
                guard !name.isEmpty else {
                    throw BundleError(.archiveUnsafe, "An archive entry names no file; rebuild the archive.")
                }
                let bytes = try body()
                try files.add(file: name, bytes: bytes)
                longName = nil
            case UInt8(ascii: "5"):
                try files.add(directory: try BundlePath.normalize(rawName, entry: "archive entry"))
                longName = nil
            default:
                throw BundleError(
                    .archiveUnsafe,
                    "The archive entry '\(BundlePath.quoted(rawName))' is \(TarHeader.kind(type)); a bundle holds "
                        + "only regular files and directories, replace it with a copy of the file.")
            }
            offset = start + (size + 511) / 512 * 512
            guard offset <= data.count else {
                throw BundleError(
                    .archiveCorrupt, "The archive ends inside an entry's padding (truncated); rebuild it.")
            }
        }
        try files.checkNoClash()
        return files
    }
}

/// The fields of a 512-byte tar header.
enum TarHeader {
    /// Refuses a header whose checksum (bytes summed with the checksum field as spaces) is wrong.
    static func checkChecksum(_ header: [UInt8]) throws(BundleError) {
        let stored = try Self.number(header, 148, 8, field: "checksum")
        var sum = 0
        for (index, byte) in header.enumerated() {
            sum += (148..<156).contains(index) ? 0x20 : Int(byte)
        }
        guard sum == stored else {
            throw BundleError(.archiveCorrupt, "A tar header's checksum does not match (corrupt archive); rebuild it.")
        }
        guard header[257..<262].elementsEqual("ustar".utf8) else {
            throw BundleError(
                .archiveCorrupt,
                "A tar header is not in ustar format (an old v7 tar or not a tar at all); rebuild the archive "
                    + "with 'gatehouse bundle build' or GNU tar.")
        }
    }

    /// An octal field (NUL- or space-terminated), or a GNU base-256 one (high bit set).
    static func number(_ header: [UInt8], _ offset: Int, _ length: Int, field: String) throws(BundleError) -> Int {
        let bytes = header[offset..<(offset + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            // Base-256: big-endian, first byte's high bit is the marker. Sizes this large exceed every limit.
            var value = Int(first & 0x7F)
            for byte in bytes.dropFirst() {
                guard value < Int.max >> 9 else { return Int.max >> 1 }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < Int.max >> 4 else { return Int.max >> 1 }
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " ") where !seenDigit:
                continue
            case 0, UInt8(ascii: " "):
                return value
            default:
                throw BundleError(
                    .archiveCorrupt, "A tar header's \(field) field is not a number; rebuild the archive.")
            }
        }
        return value
    }

    /// `prefix/name` from the ustar fields.
    static func path(_ header: [UInt8]) -> String {
        let name = Self.string(header, 0, 100)
        let prefix = Self.string(header, 345, 155)
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func string(_ header: [UInt8], _ offset: Int, _ length: Int) -> String {
        String(decoding: header[offset..<(offset + length)].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The `path` record of a pax extended header (`<length> path=<value>\n` records).
    static func paxPath(_ body: [UInt8]) throws(BundleError) -> String? {
        var rest = body[...]
        var path: String?
        while !rest.isEmpty {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                length > space - rest.startIndex + 1, length <= rest.count,
                rest[rest.startIndex + length - 1] == UInt8(ascii: "\n")
            else {
                if rest.allSatisfy({ $0 == 0 }) { break }
                throw BundleError(.archiveCorrupt, "A pax extended header is malformed; rebuild the archive.")
            }
            let record = rest[(space + 1)..<(rest.startIndex + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")),
                String(decoding: record[record.startIndex..<equals], as: UTF8.self) == "path"
            {
                path = String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return path
    }

    /// Says what a refused entry type is.
    static func kind(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): "a hard link"
        case UInt8(ascii: "2"): "a symbolic link"
        case UInt8(ascii: "3"): "a character device"
        case UInt8(ascii: "4"): "a block device"
        case UInt8(ascii: "6"): "a FIFO"
        default: "of unsupported tar type '\(BundlePath.quoted(String(decoding: [type], as: UTF8.self)))'"
        }
    }
}
