import CharLSTM
extension CommandLineTool {
    /// Carries out a parsed command and returns its exit code. A command that computes (all but help, version,
    /// info and export) starts with a warning on standard error when `build` is a debug build.
    static func run(_ invocation: Invocation, console: Console, build: BuildConfiguration = .current) throws -> Int32 {
        if invocation.computes, let warning = build.warning {
            try console.err.write(warning + "\n")
            try console.err.flush()
        }
        switch invocation {
        case .help(let text):
            try console.out.write(text)
            return 0
        case .version:
            try console.out.write(CharLSTMVersion.current + "\n")
            return 0
        case .train(let options): return try TrainCommand(options: options, console: console).run()
        case .generate(let options): return try GenerateCommand(options: options, console: console).run()
        case .eval(let options): return try EvalCommand(options: options, console: console).run()
        case .info(let options): return try InfoCommand(options: options, console: console).run()
        case .bench(let options): return try BenchCommand(options: options, console: console).run()
        case .export(let options): return try ExportCommand(options: options, console: console).run()
        case .inspect(let options): return try InspectCommand(options: options, console: console).run()
        case .forecast(let options): return try ForecastCommand(options: options, console: console).run()
        case .serve(let options): return try ServeCommand(options: options, console: console).run()
        }
    }
}
