"""Data generators: synthetic speech and simulated face videos (not loaders).

``voice``, ``speech``   synthetic emotional speech: speaker and clip parameters, the
                        source-filter voice, a whole set in the RAVDESS layout
                        (:func:`.speech.generate`)
``face_model``,         simulated faces: actor, FACS action units and their time
``face_drawing``,       courses; drawing one frame; rendering a trial's video
``faces``
``video``               writing frames as ``.mp4``

Generators import no other stage; the loaders call them
(:mod:`stdp_emo.datasets.synthetic` generates the built-in set on first use,
:func:`stdp_emo.datasets.faces.synth_faces` renders faces for a RAVDESS folder).
"""
