import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Gives the memory a reload freed back to the operating system.
///
/// A reload parses, compiles and tests a whole policy set on whichever thread the pipeline runs,
/// then drops the previous revision: tens of MiB for 10,000 rules, freed but kept by glibc's
/// malloc in its arenas (free chunks below the top of a heap are not returned on their own). So
/// resident memory climbed for the first activations and then stayed at that high-water mark
/// (issue #12 wants it within 10 % of after the first after 100 reloads). `malloc_trim(0)`
/// returns every free page of every arena; it takes each arena's lock in turn while it walks it,
/// a few milliseconds once per reload, and a check allocating meanwhile waits that long at most.
enum FreedMemory {
    #if canImport(Glibc)
        private typealias Trim = @convention(c) (Int) -> Int32

        /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not declare it
        /// (it is in `<malloc.h>`), and a C library without it (musl) simply has nothing to trim.
        private static let trim: Trim? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: Trim.self) }

        private typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        /// glibc's `mallopt`, looked up like `malloc_trim`.
        private static let setOption: SetOption? = dlsym(nil, "mallopt").map {
            unsafeBitCast($0, to: SetOption.self)
        }
        /// `M_ARENA_MAX` from `<malloc.h>`.
        private static let arenaMaximumOption: Int32 = -8
    #endif

    /// Caps glibc's malloc arenas at one per core (at least 2), unless `MALLOC_ARENA_MAX` is set.
    ///
    /// glibc gives threads up to 8 arenas per core. A reload allocates on the compile thread and
    /// Dispatch's workers, checks on event loops and the cooperative pool, and every arena keeps its
    /// own fragments after `malloc_trim`: under load (release build, 100 activations of 10,000
    /// rules, h2load at ~24,000 checks/s) resident memory grew 10.5 % from the first activation to
    /// the 100th with glibc's default and 4.5 % with two arenas (`deploy/bench/reload-under-load.sh`,
    /// Tests/Benchmarks/README.md). Call before any thread starts.
    static func limitArenas() {
        #if canImport(Glibc)
            guard getenv("MALLOC_ARENA_MAX") == nil, let setOption = Self.setOption else { return }
            _ = setOption(Self.arenaMaximumOption, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }

    /// Returns freed heap pages to the operating system, where the C library can.
    ///
    /// - Returns: How long it took; `nil` when there is nothing to call (not glibc).
    @discardableResult
    static func release() -> Duration? {
        #if canImport(Glibc)
            guard let trim = Self.trim else { return nil }
            let started = ContinuousClock.now
            _ = trim(0)
            return .now - started
        #else
            return nil
        #endif
    }
}
