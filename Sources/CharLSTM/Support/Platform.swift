// What every file of this library uses from below, imported once for the whole module (an `@_exported` import is
// seen by every file of the module, and by its clients): the kernels, whose types (`FloatBuffer`, `GemmKernel`)
// are part of this library's API, and with them the platform modules their `Platform.swift` exports:
// FoundationEssentials on Linux, never the whole of Foundation, and the C library.
@_exported import CharLSTMKernels
