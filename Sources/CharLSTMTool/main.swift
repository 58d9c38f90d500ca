// The `charlstm` executable: everything lives in the CharLSTM library; this file only hands over the arguments.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTMCommandLine

// A closed pipe (`charlstm generate | head`) must end in EPIPE, handled as BrokenPipe, not kill the process.
signal(SIGPIPE, SIG_IGN)
exit(CommandLineTool.main(Array(CommandLine.arguments.dropFirst()), console: .standard()))
