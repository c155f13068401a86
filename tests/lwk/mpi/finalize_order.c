/* MPICH 4.0.2's ch4:ucx finalize closes its UCX endpoints, waits for its own closes only,
 * then blocks in a PMI barrier without progressing UCX. Over TCP, UCX's close flushes: it
 * sends a zero-length PUT request and waits for the peer's acknowledgement. A rank whose
 * close completed first sits in the barrier and never reads the request of a peer that
 * started closing later, so that peer spins in MPI_Finalize forever (docs/mpi.md).
 * MPICH 4.2.0 synchronises through PMI before closing instead. Linked with
 * -Wl,--wrap=MPIDI_UCX_mpi_finalize_hook, this gives 4.0.2 that order: every rank has sent
 * its request before any rank progresses, so each peer reads it before the acknowledgement
 * that ends its own wait. */

/* PMI-1's barrier (MPICH's simple PMI client, inside libmpich.a). */
int PMI_Barrier(void);
int __real_MPIDI_UCX_mpi_finalize_hook(void);
int __wrap_MPIDI_UCX_mpi_finalize_hook(void);

int __wrap_MPIDI_UCX_mpi_finalize_hook(void)
{
	/* A failed barrier is MPICH's to report: its own barrier follows and fails alike. */
	(void)PMI_Barrier();
	return __real_MPIDI_UCX_mpi_finalize_hook();
}
