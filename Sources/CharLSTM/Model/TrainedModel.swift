import CharLSTMKernels

/// What a checkpoint holds, by kind: a model trained on text or one trained on a numeric series.
///
/// ```swift
/// switch try Checkpoint.load(path: path).model {
/// case .text(let model):   print(try model.evaluate(Array("To be, or not to be".unicodeScalars)).bitsPerCharacter)
/// case .series(let model): print(model.scaling.columns)
/// }
/// ```
///
/// Evaluation in bits per character, inspection and generation live on ``TextModel``; forecasting, evaluation in
/// the series' units and the backtest against naive forecasts on ``SeriesModel`` (through ``SeriesForecaster``).
/// ``Checkpoint/textModel(for:)`` and ``Checkpoint/seriesModel(for:)`` give one kind or throw the one-line error
/// that names both.
public enum TrainedModel: Sendable {
    case text(TextModel)
    case series(SeriesModel)

    /// Which of the two it is.
    public var kind: ModelKind {
        switch self {
        case .text: .text
        case .series: .series
        }
    }
}

/// What both kinds of trained model hold: the network's shape and its parameters, shared with the checkpoint they
/// came from (no copy).
public protocol TrainedNetwork: Sendable {
    /// The network's shape.
    var config: ModelConfig { get }
    /// Parameter values in ``ParameterLayout`` order.
    var parameters: FloatBuffer { get }
}

extension TrainedNetwork {
    /// A network holding (sharing) these parameters, its products on up to `threads` threads. O(parameters) for its
    /// gradient buffer.
    func makeNetwork(threads: Int = 1) -> RecurrentNetwork {
        RecurrentNetwork(config: config, sharing: parameters, threads: threads)
    }
}

/// A model trained on text: its network and the vocabulary of Unicode scalars whose one-hot codes it reads and
/// whose distribution it predicts (its ``ModelConfig/vocabularySize`` is the vocabulary's count). Its operations:
/// ``evaluate(_:named:unknown:threads:)`` (bits per character), ``inspect(_:named:limit:unknown:threads:)``, and
/// generation by ``TextGenerator`` and ``GenerationBatch``.
public struct TextModel: TrainedNetwork {
    /// The network's shape; its ``ModelConfig/vocabularySize`` is the vocabulary's count.
    public let config: ModelConfig
    /// Parameter values, shared with the checkpoint the model came from.
    public let parameters: FloatBuffer
    /// The characters the model reads and predicts.
    public let vocabulary: Vocabulary
}

/// A model trained on a numeric series: its network, which reads rows of the series' columns and predicts the
/// next row (its ``ModelConfig/vocabularySize`` is the number of columns), and the columns and standardisation it
/// was trained with (``SeriesScaling``). Forecast and evaluate it with ``SeriesForecaster``.
public struct SeriesModel: TrainedNetwork {
    /// The network's shape; its ``ModelConfig/vocabularySize`` is the number of columns.
    public let config: ModelConfig
    /// Parameter values, shared with the checkpoint the model came from.
    public let parameters: FloatBuffer
    /// The columns the model reads and their standardisation.
    public let scaling: SeriesScaling
}

extension Checkpoint {
    /// Which kind of model this checkpoint holds: a series model when it has ``series``, text otherwise.
    public var kind: ModelKind { ModelKind(series: series) }

    /// The model this checkpoint holds, typed by its kind. O(1): it shares the parameters.
    public var model: TrainedModel {
        if let series { return .series(SeriesModel(config: config, parameters: parameters, scaling: series)) }
        return .text(TextModel(config: config, parameters: parameters, vocabulary: vocabulary))
    }

    /// The text model this checkpoint holds; throws `.conflict` (reason
    /// ``CharLSTMError/Reason/wrongModelKind(found:needed:)``) for a series model, naming `purpose` (e.g.
    /// "generating text") when given.
    public func textModel(for purpose: String? = nil) throws(CharLSTMError) -> TextModel {
        switch model {
        case .text(let model): return model
        case .series(let model):
            throw CharLSTMError(.conflict, "this checkpoint holds a series model (column '\(model.scaling.target)'), not a text "
                + "model" + (purpose.map { ": \($0) needs a model trained on text" } ?? ""),
                reason: .wrongModelKind(found: .series, needed: .text))
        }
    }

    /// The series model this checkpoint holds; throws `.conflict` (reason
    /// ``CharLSTMError/Reason/wrongModelKind(found:needed:)``) for a text model, naming `purpose` (e.g.
    /// "forecasting") when given.
    public func seriesModel(for purpose: String? = nil) throws(CharLSTMError) -> SeriesModel {
        switch model {
        case .series(let model): return model
        case .text:
            throw CharLSTMError(.conflict, "this checkpoint holds a text model, not a series model"
                + (purpose.map { ": \($0) needs a model trained on a series" } ?? ""),
                reason: .wrongModelKind(found: .text, needed: .series))
        }
    }
}
