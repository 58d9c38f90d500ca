import CharLSTM

/// How the command line words the library's errors: every setting a message names is spelled as the flag that sets
/// it, and a checkpoint of the wrong kind gets the command that does take it.
extension CharLSTMError {
    /// The message as `charlstm` prints it after `error: `.
    var commandLineMessage: String {
        let text = message(naming: \.flag)
        switch reason {
        case .wrongModelKind(found: .series, needed: .text)?:
            return text + "; use 'charlstm forecast' or 'charlstm eval SERIES.csv' with it"
        case .wrongModelKind(found: .text, needed: .series)?:
            return text + " ('charlstm train SERIES.csv --column NAME')"
        default:
            return text
        }
    }
}

extension CharLSTMError.Setting {
    /// The option of `charlstm` that sets this setting (`CORPUS` for the corpus argument).
    var flag: String {
        switch self {
        case .corpus: "CORPUS"
        case .folder: "--out"
        case .resume: "--resume"
        case .initFrom: "--init-from"
        case .patience: "--patience"
        case .overwrite: "--force"
        case .threads: "--threads"
        case .cell: "--cell"
        case .layers: "--layers"
        case .hidden: "--hidden"
        case .dropout: "--dropout"
        case .sequenceLength: "--seq-length"
        case .batchSize: "--batch-size"
        case .validationFraction: "--val-fraction"
        case .validationCharacters: "--val-chars"
        case .learningRate: "--learning-rate"
        case .learningRateSchedule: "--lr-schedule"
        case .warmupSteps: "--warmup"
        case .learningRateDecay: "--learning-rate-decay"
        case .decayAfter: "--decay-after"
        case .weightDecay: "--weight-decay"
        case .clip: "--clip"
        case .seed: "--seed"
        case .allowChangedCorpus: "--allow-changed-corpus"
        case .evaluateEvery: "--eval-every"
        case .checkpointEvery: "--checkpoint-every"
        case .logEvery: "--log-every"
        case .column: "--column"
        case .inputs: "--inputs"
        case .difference: "--difference"
        case .gaps: "--interpolate"
        case .maximumCharacters: "--max-chars"
        case .unknownCharacters: "--skip-unknown, or --replace-unknown C"
        }
    }
}
