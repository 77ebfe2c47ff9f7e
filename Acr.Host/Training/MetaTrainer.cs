using System.Diagnostics;

namespace Acr.Host.Training;

/// <summary>
/// ACR meta-training: every iteration draws T tasks, forwards all of them in ONE pass with one batch-norm
/// segment per task, and takes one Adam step on the mean over tasks of the per-task mean of NormalTerm (normal
/// rows) or AnomalyTerm (anomalies). See <see cref="MetaTrainingSession"/> for the step. The losses stay on the
/// device and are read every <see cref="MetaTrainingOptions.LossReadInterval"/> steps, so an asynchronous backend
/// is not synchronised every iteration; the model does not depend on the interval.
/// </summary>
public sealed class MetaTrainer
{
    private readonly ComputeBackend _backend;

    /// <summary>Creates a trainer on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where the model lives.</param>
    public MetaTrainer(ComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place and returns the loss of every iteration. A model without
    /// trainable parameters (a training-free detector) has nothing to learn: it is returned as it is,
    /// with no losses. Progress is reported after every iteration, with the latest loss read so far.
    /// </summary>
    /// <param name="model">A freshly built (or partly trained) model on this trainer's backend.</param>
    /// <param name="sampler">Draws the tasks.</param>
    /// <param name="options">Iterations, tasks, optimizer, loss-read interval.</param>
    /// <param name="progress">Called after every iteration (may be null).</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <exception cref="AcrUsageException">The loss became NaN or infinite (the message names the iteration and suggests a lower learning rate).</exception>
    public double[] Train(DetectorModel model, TaskSampler sampler, MetaTrainingOptions options, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Train(model, sampler, options, progress, null, null, cancellationToken);

    /// <summary>
    /// Trains <paramref name="model"/> in place as <see cref="Train(DetectorModel, TaskSampler, MetaTrainingOptions, Action{TrainingProgress}?, CancellationToken)"/>
    /// does, saving a checkpoint (<see cref="TrainingCheckpoint"/>) every <see cref="TrainingCheckpointOptions.Every"/> iterations
    /// and when cancelled, and, with <see cref="TrainingCheckpointOptions.Resume"/>, continuing from the checkpoint's iteration:
    /// the model and losses are bit-identical to an uninterrupted run's. The last iteration writes no checkpoint (the caller
    /// saves the model, then deletes the checkpoint with <see cref="TrainingCheckpoint.Delete"/>).
    /// </summary>
    /// <param name="model">A freshly built model on this trainer's backend.</param>
    /// <param name="sampler">Draws the tasks (freshly built: a resumed run restores its state).</param>
    /// <param name="options">Iterations, tasks, optimizer, loss-read interval.</param>
    /// <param name="progress">Called after every iteration (may be null).</param>
    /// <param name="checkpoint">Where and how often to checkpoint, and whether to resume; null for neither.</param>
    /// <param name="fingerprint">The run's <see cref="TrainingCheckpoint.Fingerprint"/> (required with <paramref name="checkpoint"/>).</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <exception cref="AcrUsageException">The loss became NaN or infinite, or the checkpoint to resume is missing or belongs to another run.</exception>
    public double[] Train(DetectorModel model, TaskSampler sampler, MetaTrainingOptions options, Action<TrainingProgress>? progress,
        TrainingCheckpointOptions? checkpoint, IReadOnlyDictionary<string, string>? fingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (checkpoint is not null)
        {
            ArgumentNullException.ThrowIfNull(fingerprint);
            ArgumentOutOfRangeException.ThrowIfNegative(checkpoint.Every);
        }

        if (model.Parameters().Count == 0)
        {
            return [];
        }

        using var session = new MetaTrainingSession(_backend, model, sampler, options);
        var losses = new double[options.Iterations];
        var start = 0;
        var every = checkpoint?.Every ?? 0;
        if (checkpoint is { Resume: true })
        {
            var saved = TrainingCheckpoint.Restore(checkpoint.Path, session, fingerprint!, out var savedEvery);
            saved.CopyTo(losses, 0);
            start = saved.Length;
            every = every > 0 ? every : savedEvery;
            checkpoint.Resumed?.Invoke(start);
        }
        else if (checkpoint is { Every: > 0 })
        {
            TrainingCheckpoint.CheckSize(sampler.Rows);
        }

        var read = start;
        var savedAt = start;
        var clock = Stopwatch.StartNew();
        for (var it = start; it < options.Iterations; it++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (checkpoint is not null && every > 0 && it > savedAt)
                {
                    ReadAndCheck(session, losses, ref read);
                    Save(it);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            session.SampleTasks();
            session.Step();
            var due = every > 0 && (it + 1) % every == 0 && it + 1 < options.Iterations;
            if (session.PendingLosses == session.LossCapacity || it + 1 == options.Iterations || due)
            {
                ReadAndCheck(session, losses, ref read);
            }

            if (due)
            {
                Save(it + 1);
            }

            progress?.Invoke(new TrainingProgress(it + 1, options.Iterations, read > 0 ? losses[read - 1] : double.NaN, read, clock.Elapsed, start));
        }

        return losses;

        void Save(int iteration)
        {
            var writing = Stopwatch.StartNew();
            TrainingCheckpoint.Write(checkpoint!.Path, session, iteration, every, losses.AsSpan(0, iteration), fingerprint!);
            savedAt = iteration;
            checkpoint.Written?.Invoke(iteration, writing.Elapsed);
        }
    }

    /// <summary>Reads the losses pending on the device into <paramref name="losses"/> and refuses a non-finite one.</summary>
    private static void ReadAndCheck(MetaTrainingSession session, double[] losses, ref int read)
    {
        var before = read;
        read += session.ReadLosses(losses.AsSpan(read));
        for (var i = before; i < read; i++)
        {
            if (!double.IsFinite(losses[i]))
            {
                throw new AcrUsageException($"The training loss became {losses[i]} at iteration {i + 1}; lower --lr or check the data for extreme values.");
            }
        }
    }
}
