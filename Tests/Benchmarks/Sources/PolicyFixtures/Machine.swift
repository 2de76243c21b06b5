#if canImport(Glibc)
    import Glibc
#endif

/// What the machine running the benchmarks can measure.
package enum Machine {
    /// Whether hardware performance counters can be read, so that package-benchmark's `instructions`
    /// metric has values.
    ///
    /// Without them (most virtual machines) the metric is empty, and still costs 16 allocations per
    /// iteration inside the measured region, which would hide the evaluator's own. Linux lists a
    /// hardware PMU in sysfs (`cpu`, `cpu_core`/`cpu_atom` on hybrid x86, `armv8_pmuv3_0` on Arm);
    /// macOS always has counters. `GATEHOUSE_BENCHMARK_INSTRUCTIONS=0` or `=1` overrides the check.
    package static let hasInstructionCounters: Bool = {
        #if os(Linux)
            if let override = getenv("GATEHOUSE_BENCHMARK_INSTRUCTIONS") { return String(cString: override) != "0" }
            guard let directory = opendir("/sys/bus/event_source/devices") else { return false }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "cpu" || name.hasPrefix("cpu_") || name.hasPrefix("armv8_pmu") || name.hasPrefix("armv7_") {
                    return true
                }
            }
            return false
        #else
            return true
        #endif
    }()
}
