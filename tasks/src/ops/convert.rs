//! Moving tensors between host buffers and the tensor library.

use crate::error::{Result, TaskError};
use crate::tensor::HostTensor;
use burn_tensor::{Bool, Device, Int, Tensor, TensorData};

fn rank_check<const D: usize>(t: &HostTensor, name: &str) -> Result<()> {
    if t.shape.len() != D {
        return Err(TaskError::Shape(format!(
            "`{name}` has rank {} ({:?}), expected rank {D}",
            t.shape.len(),
            t.shape
        )));
    }
    Ok(())
}

/// Loads an f32 host tensor of rank `D`; `name` is used in errors.
pub fn load<const D: usize>(t: &HostTensor, name: &str) -> Result<Tensor<D>> {
    rank_check::<D>(t, name)?;
    let data = TensorData::new(t.as_f32(name)?.to_vec(), t.shape.clone());
    Ok(Tensor::from_data(data, &Device::default()))
}

/// Loads an int64 host tensor of rank `D`.
pub fn load_int<const D: usize>(t: &HostTensor, name: &str) -> Result<Tensor<D, Int>> {
    rank_check::<D>(t, name)?;
    let data = TensorData::new(t.as_i64(name)?.to_vec(), t.shape.clone());
    Ok(Tensor::from_data(data, &Device::default()))
}

/// Loads a boolean host tensor of rank `D`.
pub fn load_bool<const D: usize>(t: &HostTensor, name: &str) -> Result<Tensor<D, Bool>> {
    rank_check::<D>(t, name)?;
    let data = TensorData::new(t.as_bool(name)?.to_vec(), t.shape.clone());
    Ok(Tensor::from_data(data, &Device::default()))
}

/// Reads an f32 tensor back to the host.
pub fn store<const D: usize>(t: Tensor<D>) -> Result<HostTensor> {
    let shape = t.dims().to_vec();
    let values = t
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| TaskError::Backend(format!("{e:?}")))?;
    HostTensor::f32(shape, values)
}

/// Reads a boolean tensor back to the host.
pub fn store_bool<const D: usize>(t: Tensor<D, Bool>) -> Result<HostTensor> {
    let shape = t.dims().to_vec();
    let values = t
        .into_data()
        .try_into_vec::<bool>()
        .map_err(|e| TaskError::Backend(format!("{e:?}")))?;
    HostTensor::bool(shape, values)
}
