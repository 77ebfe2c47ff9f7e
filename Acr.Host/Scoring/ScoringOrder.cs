namespace Acr.Host.Scoring;

/// <summary>Which rows make up a scoring batch (within a group, when the data has a group column).</summary>
public enum ScoringOrder
{
    /// <summary>
    /// The default: the rows of each window of <see cref="ScoringRequest.WindowBatches"/> batches are shuffled with the
    /// request's seed before they are cut into batches, so a batch is a random sample of its window, whatever the file's
    /// order (see <see cref="BatchPlan"/>).
    /// </summary>
    Shuffle,

    /// <summary>Consecutive rows in file order, <see cref="ScoringRequest.BatchSize"/> per batch (a last batch of one row joins the one before).</summary>
    File,
}
