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
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (model.Parameters().Count == 0)
        {
            return [];
        }

        using var session = new MetaTrainingSession(_backend, model, sampler, options);
        var losses = new double[options.Iterations];
        var read = 0;
        var clock = Stopwatch.StartNew();
        for (var it = 0; it < options.Iterations; it++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.SampleTasks();
            session.Step();
            if (session.PendingLosses == session.LossCapacity || it + 1 == options.Iterations)
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

            progress?.Invoke(new TrainingProgress(it + 1, options.Iterations, read > 0 ? losses[read - 1] : double.NaN, read, clock.Elapsed));
        }

        return losses;
    }
}
