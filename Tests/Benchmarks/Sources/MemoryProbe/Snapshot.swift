import CHeapStats

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The resident set and heap in use at one moment, printed as it is taken.
package struct Snapshot {
    /// `VmRSS` in bytes.
    package let rss: Int
    /// The C heap in use, in bytes.
    package let heap: Int

    /// Trims the heap, measures and prints one line.
    package init(_ label: String) {
        cheapstats_trim()
        self.heap = Int(cheapstats_heap_in_use())
        self.rss = Self.residentBytes()
        print(
            "\(label.rightPadded(44)) VmRSS \(megabytes(self.rss).leftPadded(10))   heap in use \(megabytes(self.heap).leftPadded(10))"
        )
    }

    /// `VmRSS` from `/proc/self/status`, in bytes; 0 where there is no procfs.
    package static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix("VmRSS:") else { continue }
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}

/// Bytes as MiB with one decimal.
package func megabytes(_ bytes: Int) -> String {
    let tenths = (bytes * 10 + (bytes >= 0 ? 1 : -1) * 512 * 1024) / (1024 * 1024)
    return "\(tenths / 10).\(abs(tenths % 10)) MiB"
}

extension String {
    package func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - self.count)) + self }
    package func rightPadded(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - self.count))
    }
}
