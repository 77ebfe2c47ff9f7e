using System.Diagnostics;
using Acr.Nn;

namespace Acr.Host.Serving;

/// <summary>One request's batch waiting to be scored: preprocessed rows for one model version, and where its scores go.</summary>
internal sealed class ScoreJob(ModelVersion version, float[] rows, int count, BatchNormMode mode)
{
    public ModelVersion Version { get; } = version;

    /// <summary>Row-major, preprocessed, in the model's feature order.</summary>
    public float[] Rows { get; } = rows;

    public int Count { get; } = count;

    public BatchNormMode Mode { get; } = mode;

    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Completes with one score per row, in request order, or faults when the pass failed.</summary>
    public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many requests shared this job's forward pass (set when it is scored).</summary>
    public int PassSegments { get; set; }
}
