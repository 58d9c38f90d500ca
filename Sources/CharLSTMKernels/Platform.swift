// The platform modules every file of this module uses, imported once for the whole module (an `@_exported`
// import is seen by every file of the module, and by its clients): on Linux FoundationEssentials, never the whole
// of Foundation (which would add libFoundation, FoundationInternationalization and the ICU data, about 6 MiB of
// resident memory in every process), and the C library (math, POSIX). Apple platforms have no separate
// FoundationEssentials module.
#if canImport(FoundationEssentials)
@_exported import FoundationEssentials
#else
@_exported import Foundation
#endif
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Darwin)
@_exported import Darwin
#endif
