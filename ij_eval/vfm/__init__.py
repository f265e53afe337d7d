"""Green Book value-for-money economics (HM Treasury), independent of the pipeline and of plotting.

``deflator`` (real terms at a price year), ``greenbook`` (discounting, NPV, BCR, break-even),
``reference`` (published values verified in ``reference/``), ``parameters`` (value, range,
distribution, source), ``costs`` (the costs table in real terms by appraisal year), ``model`` (benefit
streams and present values, vectorised over Monte Carlo draws) and ``uncertainty`` (Monte Carlo,
one-way sensitivity, NPV across effects). The value-for-money strand
(:mod:`ij_eval.strands.value_for_money`) wires them to a run.
"""
