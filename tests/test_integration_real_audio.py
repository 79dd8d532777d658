"""Integration on a few real RAVDESS files from ../shared (skipped when absent)."""
import numpy as np

from stdp_emo.config import AudioConfig
from stdp_emo.datasets import ravdess
from stdp_emo.encoding import audio_inputs
from stdp_emo.features.audio import Scaler, extract_dataset


def test_real_clips_to_network_inputs(ravdess_root, tmp_path):
    ds = ravdess.load(ravdess_root)
    few = ds.subset([i for i, c in enumerate(ds.clips) if c.actor == "01"][:12])
    for kind, n_coeff in (("mfcc", 40), ("mel", 128)):
        cfg = AudioConfig(kind=kind)
        feats, n_valid, ids = extract_dataset(few, cfg, cache_dir=tmp_path, progress=False)
        assert feats.shape == (12, n_coeff, 388) and list(ids) == [c.id for c in few.clips]
        # RAVDESS clips are 2.9-5.3 s; after trimming silence, speech fills 100-388 frames
        assert np.all((n_valid >= 100) & (n_valid <= 388))
        scaled = Scaler.fit(feats[:8], n_valid[:8], cfg).transform(feats, n_valid)
        x = audio_inputs(scaled)
        assert x.shape == (12, n_coeff * 388) and x.min() >= 0 and x.max() <= 1
        for k in range(12):   # padded frames give no input spikes
            assert np.all(scaled[k, :, n_valid[k]:] == 0)
        # a second call hits the cache and returns the same arrays
        again = extract_dataset(few, cfg, cache_dir=tmp_path, progress=False)[0]
        np.testing.assert_array_equal(again, feats)
